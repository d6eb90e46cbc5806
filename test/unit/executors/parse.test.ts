import { describe, expect, it } from 'vitest';
import {
  expandIndices,
  isAccountingDisabled,
  normaliseState,
  parseJobId,
  parseSacct,
  parseSbatchOutput,
  parseScontrol,
  parseSqueue,
} from '../../../src/executors/slurm/parse.js';

describe('SLURM output parsing', () => {
  it('reads the job id printed by sbatch --parsable, with or without a cluster', () => {
    expect(parseSbatchOutput('42\n')).toBe('42');
    expect(parseSbatchOutput('42;cluster\n')).toBe('42');
    expect(() => parseSbatchOutput('Submitted batch job 42')).toThrow(/not a job id/);
  });

  it('expands array task ids', () => {
    expect(expandIndices('7')).toEqual([7]);
    expect(expandIndices('2-5%2')).toEqual([2, 3, 4, 5]);
    expect(expandIndices('1,3,5-7')).toEqual([1, 3, 5, 6, 7]);
    expect(expandIndices('0-6:3')).toEqual([0, 3, 6]);
    expect(() => expandIndices('x')).toThrow(/cannot read array task ids/);
  });

  it('reads job ids of jobs, array tasks and pending ranges', () => {
    expect(parseJobId('12')).toEqual({ schedulerId: '12', indices: null });
    expect(parseJobId('12_3')).toEqual({ schedulerId: '12', indices: [3] });
    expect(parseJobId('12_[4-6%2]')).toEqual({ schedulerId: '12', indices: [4, 5, 6] });
    expect(parseJobId('12.batch')).toBeNull();
  });

  it('normalises states', () => {
    expect(normaliseState('CANCELLED by 0')).toBe('CANCELLED');
    expect(normaliseState(' completed ')).toBe('COMPLETED');
  });

  it('parses sacct -X --parsable2 rows', () => {
    const out = [
      '12_0|13|noc-a|COMPLETED|0:0|None|vm',
      '12_1|14|noc-a|FAILED|3:0|NonZeroExitCode|node02',
      '12_[2-3%2]|12|noc-a|PENDING|0:0|JobArrayTaskLimit|None assigned',
      '20|20|noc-b|CANCELLED by 0|0:0|None|None assigned',
      '21|21|noc-c|FAILED|0:9|JobLaunchFailure|vm',
      '',
    ].join('\n');
    expect(parseSacct(out)).toEqual([
      {
        name: 'noc-a',
        schedulerId: '12',
        indices: [0],
        state: 'COMPLETED',
        reason: null,
        exitCode: 0,
        signal: null,
        cancelledBy: null,
        node: 'vm',
      },
      {
        name: 'noc-a',
        schedulerId: '12',
        indices: [1],
        state: 'FAILED',
        reason: 'NonZeroExitCode',
        exitCode: 3,
        signal: null,
        cancelledBy: null,
        node: 'node02',
      },
      {
        name: 'noc-a',
        schedulerId: '12',
        indices: [2, 3],
        state: 'PENDING',
        reason: 'JobArrayTaskLimit',
        exitCode: 0,
        signal: null,
        cancelledBy: null,
        node: null,
      },
      {
        name: 'noc-b',
        schedulerId: '20',
        indices: null,
        state: 'CANCELLED',
        reason: null,
        exitCode: 0,
        signal: null,
        cancelledBy: 0,
        node: null,
      },
      {
        name: 'noc-c',
        schedulerId: '21',
        indices: null,
        state: 'FAILED',
        reason: 'JobLaunchFailure',
        exitCode: 0,
        signal: 9,
        cancelledBy: null,
        node: 'vm',
      },
    ]);
  });

  it('parses squeue rows, whose exit_code is a raw wait status', () => {
    const out = [
      '4_3|FAILED|NonZeroExitCode|768|vm|noc-a',
      '4_4|PENDING|ReqNodeNotAvail, UnavailableNodes:vm|0||noc-a',
      '9|FAILED|None|9|node02|noc-b|x',
    ].join('\n');
    expect(parseSqueue(out)).toEqual([
      {
        name: 'noc-a',
        schedulerId: '4',
        indices: [3],
        state: 'FAILED',
        reason: 'NonZeroExitCode',
        exitCode: 3,
        signal: null,
        cancelledBy: null,
        node: 'vm',
      },
      {
        name: 'noc-a',
        schedulerId: '4',
        indices: [4],
        state: 'PENDING',
        reason: 'ReqNodeNotAvail, UnavailableNodes:vm',
        exitCode: null,
        signal: null,
        cancelledBy: null,
        node: null,
      },
      {
        name: 'noc-b|x',
        schedulerId: '9',
        indices: null,
        state: 'FAILED',
        reason: null,
        exitCode: 0,
        signal: 9,
        cancelledBy: null,
        node: 'node02',
      },
    ]);
  });

  it('parses scontrol -o show job lines, array tasks and plain jobs', () => {
    const out = [
      'JobId=8 ArrayJobId=4 ArrayTaskId=3 JobName=noc-a UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:01 ReqNodeList=(null) NodeList=vm BatchHost=vm',
      'JobId=4 ArrayJobId=4 ArrayTaskId=5-6%2 JobName=noc-a JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 NodeList=(null)',
      'JobId=10 JobName=noc-b JobState=CANCELLED Reason=None ExitCode=0:15 NodeList=',
    ].join('\n');
    expect(parseScontrol(out)).toEqual([
      {
        name: 'noc-a',
        schedulerId: '4',
        indices: [3],
        state: 'FAILED',
        reason: 'NonZeroExitCode',
        exitCode: 3,
        signal: null,
        cancelledBy: null,
        node: 'vm',
      },
      {
        name: 'noc-a',
        schedulerId: '4',
        indices: [5, 6],
        state: 'PENDING',
        reason: 'JobArrayTaskLimit',
        exitCode: 0,
        signal: null,
        cancelledBy: null,
        node: null,
      },
      {
        name: 'noc-b',
        schedulerId: '10',
        indices: null,
        state: 'CANCELLED',
        reason: null,
        exitCode: 0,
        signal: 15,
        cancelledBy: null,
        node: null,
      },
    ]);
  });

  it('recognises a cluster without accounting storage', () => {
    expect(isAccountingDisabled('sacct: error: Slurm accounting storage is disabled\n')).toBe(true);
    expect(isAccountingDisabled('sacct: error: Problem talking to the database')).toBe(false);
  });
});
