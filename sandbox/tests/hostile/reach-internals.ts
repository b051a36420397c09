// Uses eval/Function to look for the host bridge and the prelude's internals.
export default async function run() {
  const probes = [
    "typeof __tntcHostFetch", "typeof __tntcHostLog", "typeof __tntcRandomBytes", "typeof __host",
    "typeof invoke", "typeof __send", "typeof require", "typeof process", "typeof std", "typeof os",
  ];
  const viaEval = probes.map((p) => { try { return (0, eval)(p); } catch (e) { return "threw"; } });
  const viaFunction = probes.map((p) => { try { return Function("return " + p)(); } catch (e) { return "threw"; } });
  return { viaEval, viaFunction };
}
