import { TargetGuard, TargetRefusedError, isBlockedAddress, parseAllowList, type Resolve } from './target-guard';

const resolveTo =
  (table: Record<string, string[]>): Resolve =>
  async (host) => {
    const addresses = table[host];
    if (!addresses) throw new Error('ENOTFOUND');
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('target guard (SSRF)', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.2.3.4', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['93.184.216.34', false],
    ['2606:2800:220:1:248:1893:25c8:1946', false],
  ])('%s blocked: %s', (address, blocked) => {
    expect(isBlockedAddress(address)).toBe(blocked);
  });

  const resolve = resolveTo({ 'hooks.example.com': ['93.184.216.34'], 'rebind.example.com': ['93.184.216.34', '10.0.0.5'], localhost: ['127.0.0.1', '::1'] });

  it('lets a public host through with its addresses', async () => {
    await expect(new TargetGuard(parseAllowList(''), resolve).addressesFor('https://hooks.example.com/x')).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it.each(['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]/hook', 'http://169.254.169.254/latest/meta-data', 'http://rebind.example.com/'])(
    'refuses %s without an allow-list',
    async (url) => {
      await expect(new TargetGuard(parseAllowList(''), resolve).addressesFor(url)).rejects.toBeInstanceOf(TargetRefusedError);
    },
  );

  it('refuses a host that does not resolve', async () => {
    await expect(new TargetGuard(parseAllowList(''), resolve).addressesFor('https://nowhere.invalid/')).rejects.toThrow('does not resolve');
  });

  it('allows what the allow-list names: a host, an address, a range', async () => {
    await expect(new TargetGuard(parseAllowList('localhost'), resolve).addressesFor('http://localhost:9/x')).resolves.toHaveLength(2);
    await expect(new TargetGuard(parseAllowList('127.0.0.1'), resolve).addressesFor('http://127.0.0.1:9/x')).resolves.toHaveLength(1);
    await expect(new TargetGuard(parseAllowList('10.0.0.0/8'), resolve).addressesFor('http://rebind.example.com/')).resolves.toHaveLength(2);
    // an allowed address does not open the others
    await expect(new TargetGuard(parseAllowList('127.0.0.1'), resolve).addressesFor('http://10.0.0.1/')).rejects.toBeInstanceOf(TargetRefusedError);
  });

  it('refuses a malformed allow-list', () => {
    expect(() => parseAllowList('10.0.0.0/40')).toThrow('NOTIFICATIONS_WEBHOOK_ALLOWLIST');
    expect(() => parseAllowList('http://x')).toThrow('NOTIFICATIONS_WEBHOOK_ALLOWLIST');
  });
});
