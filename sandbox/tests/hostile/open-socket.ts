// Opens a raw TCP socket.
export default async function run() {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: 22 });
  return { opened: !!conn };
}
