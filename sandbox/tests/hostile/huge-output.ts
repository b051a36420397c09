// A 100 MB output.
export default async function run() {
  return "x".repeat(100 * 1024 * 1024);
}
