// Reads the host environment.
export default async function run() {
  return { home: Deno.env.get("HOME") };
}
