export default async function run() {
  return await Deno.readTextFile("/etc/passwd");
}
