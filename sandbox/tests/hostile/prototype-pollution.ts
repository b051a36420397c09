// Pollutes shared prototypes; a fresh instance must not see it.
export default async function run() {
  // deno-lint-ignore no-explicit-any
  const seen = ({} as any).polluted ?? null;
  // deno-lint-ignore no-explicit-any
  (Object.prototype as any).polluted = "yes";
  JSON.stringify = () => "hijacked";
  return { seen };
}
