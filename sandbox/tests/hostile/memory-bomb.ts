// Tries to allocate 1 GiB.
export default async function run() {
  const chunks: number[][] = [];
  for (let i = 0; i < 1024; i++) chunks.push(new Array(1024 * 1024 / 8).fill(i));
  return chunks.length;
}
