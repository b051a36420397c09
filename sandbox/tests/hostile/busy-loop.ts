export default async function run() {
  while (true) {}
}
