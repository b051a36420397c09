// Deno mode: an npm package (from the locked cache, offline) and Deno file APIs in the node's
// own temporary directory.
import ms from "npm:ms@2.1.3";

export default async function run(ctx: { tmpDir: string }, input: { span?: string }) {
  const file = `${ctx.tmpDir}/note.txt`;
  await Deno.writeTextFile(file, "written");
  return {
    ms: ms(input.span ?? "2h"),
    back: await Deno.readTextFile(file),
    deno: typeof Deno.version.deno,
  };
}
