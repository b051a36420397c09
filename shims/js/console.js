// console.* goes to the node's captured log (never to the engine's stdout directly).
globalThis.console = {
  log: (...a) => __native.log(LOG_LEVELS.info, __formatArgs(a)),
  info: (...a) => __native.log(LOG_LEVELS.info, __formatArgs(a)),
  debug: (...a) => __native.log(LOG_LEVELS.debug, __formatArgs(a)),
  warn: (...a) => __native.log(LOG_LEVELS.warn, __formatArgs(a)),
  error: (...a) => __native.log(LOG_LEVELS.error, __formatArgs(a)),
  trace: (...a) => __native.log(LOG_LEVELS.debug, __formatArgs(a)),
};
