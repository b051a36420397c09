// Reads /etc/passwd every way a JS runtime might offer.
export default async function run() {
  return await (await fetch("file:///etc/passwd")).text();
}
