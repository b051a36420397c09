import { check, eq } from "./check.ts";
export default () => check(async () => {
  const up = new Response(new Response("abc").body!.pipeThrough(new TextDecoderStream()).pipeThrough(new TransformStream({
    transform(c, ctl) { ctl.enqueue(c.toUpperCase()); },
  })).pipeThrough(new TextEncoderStream()));
  eq(await up.text(), "ABC", "transform");
  const packed = new Response(new Blob(["zip ".repeat(50)]).stream().pipeThrough(new CompressionStream("gzip")));
  const unpacked = new Response(packed.body!.pipeThrough(new DecompressionStream("gzip")));
  eq(await unpacked.text(), "zip ".repeat(50), "gzip");
  const seen: string[] = [];
  await ReadableStream.from(["a", "b"]).pipeTo(new WritableStream({ write(c) { seen.push(c); } }));
  eq(seen, ["a", "b"], "pipeTo");
});
