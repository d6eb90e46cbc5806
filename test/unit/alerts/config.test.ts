import { describe, expect, it } from 'vitest';
import { formatIssue, sortIssues } from '../../../src/config/issues.js';
import { locate, parseYaml } from '../../../src/config/locate.js';
import { daemonConfigSchema, pipelineSchema } from '../../../src/config/schema.js';
import { zodProblems } from '../../../src/config/zod-issues.js';

/** The problems of a config/nocturne.yaml text, as `nocturne validate` prints them. */
function problems(text: string, schema: typeof daemonConfigSchema | typeof pipelineSchema = daemonConfigSchema): string[] {
  const source = parseYaml('config/nocturne.yaml', text);
  const parsed = schema.safeParse(source.data);
  if (parsed.success) return [];
  return sortIssues(zodProblems(schema, source.data, parsed.error.issues).map((p) => locate(source, p))).map(formatIssue);
}

const BASE = `database: {url: "postgres://nocturne@db/nocturne"}
alerts:
  email:
    host: smtp.example.org
    from: nocturne@example.org
  webhooks:
    chat: {url: "https://chat.example.org/hooks/x", secret: {env: HOOK_SECRET}}
  routes:
`;

describe('the alerts section of config/nocturne.yaml', () => {
  it('accepts routes, channels and thresholds', () => {
    const text = `${BASE}    sysadmins:
      kinds: [host_stopped, disk_low, unreachable, slot_missed]
      email: [ops@example.org]
      webhooks: [chat]
    sdoss:
      pipelines: [sdoss]
      kinds: [work_failed]
      email: [jane@example.org]
      quietHours: {from: "22:00", to: "07:00"}
  remindEvery: 12h
  slotMissed: {grace: 2h}
  diskLow: {minFree: 10GB}
`;
    expect(problems(text)).toEqual([]);
  });

  it('locates an unknown webhook, a route with nowhere to send, a bad kind, address, time and threshold at file:line:col', () => {
    const text = `${BASE}    sysadmins:
      kinds: [host_stoped]
      webhooks: [chat, pager]
    empty:
      kinds: [disk_low]
    bad:
      email: [not-an-address, "ops@example.org,pager"]
      quietHours: {from: "25:00", to: "07:00"}
  diskLow: {minFree: lots}
  timezone: Mars/Olympus
`;
    expect(problems(text)).toMatchInlineSnapshot(`
      [
        "config/nocturne.yaml:10:15: alerts.routes.sysadmins.kinds[0]: "host_stoped" is not one of stage_failed, slot_missed, work_failed, work_stuck, unreachable, disk_low, host_stopped",
        "config/nocturne.yaml:11:24: alerts.routes.sysadmins.webhooks[1]: unknown webhook "pager" (alerts.webhooks: chat)",
        "config/nocturne.yaml:13:7: alerts.routes.empty: a route needs email or webhooks (or both)",
        "config/nocturne.yaml:15:15: alerts.routes.bad.email[0]: must be one e-mail address such as ops@example.org (a list: one item each)",
        "config/nocturne.yaml:15:31: alerts.routes.bad.email[1]: must be one e-mail address such as ops@example.org (a list: one item each)",
        "config/nocturne.yaml:16:26: alerts.routes.bad.quietHours.from: must be a time of day such as "22:00"",
        "config/nocturne.yaml:17:22: alerts.diskLow.minFree: must be a size such as "10GB", "500MiB", or a share such as "5%"",
        "config/nocturne.yaml:18:13: alerts.timezone: unknown time zone "Mars/Olympus" (an IANA name such as Europe/Paris)",
      ]
    `);
  });

  it('wants the SMTP server for e-mail routes, and a user with a password', () => {
    const text = `database: {url: "postgres://nocturne@db/nocturne"}
alerts:
  routes:
    ops: {email: [ops@example.org]}
  email: {host: smtp.example.org, from: n@example.org, password: {env: SMTP_PASSWORD}}
`;
    const without = text.replace(/ {2}email: \{host.*\n/, '');
    expect(problems(without)).toEqual([
      'config/nocturne.yaml:4:18: alerts.routes.ops.email: e-mail routes need alerts.email (the SMTP server)',
    ]);
    expect(problems(text)).toEqual([
      'config/nocturne.yaml:5:66: alerts.email.password: a password needs alerts.email.user, the name it goes with',
    ]);
  });

  it('lets a pipeline override thresholds, and locates its mistakes', () => {
    const pipeline = (alerts: string) => `name: sdoss
code: {name: sdoss, version: "1"}
alerts:
${alerts}`;
    expect(problems(pipeline('  slotMissed: {grace: 30m}\n  workStuck: {enabled: false}\n'), pipelineSchema)).toEqual([]);
    expect(problems(pipeline('  slotMised: {grace: 30m}\n'), pipelineSchema)).toEqual([
      'config/nocturne.yaml:4:3: alerts: unknown key "slotMised"; did you mean "slotMissed"?',
    ]);
  });
});
