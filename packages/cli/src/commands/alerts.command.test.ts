import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultBy } from './alerts.command.js';

/** What `os.userInfo()` throws in a container whose UID has no passwd entry. */
const noPasswdEntry = () => {
  throw Object.assign(new Error('A system error occurred: uv_os_get_passwd returned ENOENT'), {
    code: 'ERR_SYSTEM_ERROR',
  });
};

describe('the default --by of `alerts deliveries retry`', () => {
  it('is the user name where the OS knows one', () => {
    expect(defaultBy()).toBe(userInfo().username);
  });

  it('falls back to $USER, then `cli`, where the UID has no passwd entry', () => {
    expect(defaultBy(noPasswdEntry, { USER: 'ops' })).toBe('ops');
    expect(defaultBy(noPasswdEntry, {})).toBe('cli');
  });
});
