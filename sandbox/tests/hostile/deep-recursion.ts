function down(n: number): number {
  return down(n + 1) + 1;
}
export default async function run() {
  return down(0);
}
