import { describe, expect, it } from 'vitest';
import { href, html } from '../../../src/monitor/html.js';
import { runProgress } from '../../../src/monitor/progress.js';

describe('html', () => {
  it('escapes every interpolated value; nested html stays markup', () => {
    const name = '<img src=x onerror=alert(1)>.obs';
    expect(html`<td title="${name}">${name}</td>`.text).toBe(
      '<td title="&lt;img src=x onerror=alert(1)&gt;.obs">&lt;img src=x onerror=alert(1)&gt;.obs</td>',
    );
    expect(html`<p>${html`<b>${'"&\''}</b>`}${[1, null, undefined, false, 'x']}</p>`.text).toBe('<p><b>&quot;&amp;&#39;</b>1x</p>');
  });

  it('builds query strings with encoded values', () => {
    expect(href('/quarantine', { pipeline: 'a&b', night: undefined, n: 3 })).toBe('/quarantine?pipeline=a%26b&n=3');
  });
});

describe('progress', () => {
  it('reads the counters each stage reports', () => {
    expect(runProgress('run', { pending: 3, running: 2, done: 4, failed: 1 })).toMatchObject({ unit: 'tasks', done: 5, total: 10 });
    expect(runProgress('upload', { files: '[#####...............] 3/12', MB: '1.0/4.0' })).toMatchObject({
      unit: 'files',
      done: 3,
      total: 12,
    });
    expect(runProgress('ingest', { sets: '7/9', rows: 40 })).toMatchObject({ unit: 'sets', done: 7, total: 9 });
    expect(runProgress('ingest', { files: '0/0', rows: 0 })).toMatchObject({ unit: 'files', done: 0, total: 0 });
    expect(runProgress('upload', {})).toBeNull();
  });
});
