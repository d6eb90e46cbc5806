/** sysexits(3) codes, as systemd's RestartPreventExitStatus= expects them. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 64,
  unavailable: 69,
  software: 70,
  config: 78,
} as const;
