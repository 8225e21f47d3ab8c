import { base64Url, codeChallenge, jwtClaims, randomToken } from '@steward/console';

describe('PKCE helpers of the console sign-in', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    await expect(codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('refuses a verifier RFC 7636 does not allow (too short, too long, reserved characters)', async () => {
    await expect(codeChallenge('a'.repeat(42))).rejects.toThrow('43 to 128');
    await expect(codeChallenge('a'.repeat(129))).rejects.toThrow('43 to 128');
    await expect(codeChallenge(`${'a'.repeat(43)}+/`)).rejects.toThrow('43 to 128');
  });

  it('makes 43-character base64url verifiers, different each time', async () => {
    const verifiers = new Set(Array.from({ length: 50 }, () => randomToken(32)));
    expect(verifiers.size).toBe(50);
    for (const verifier of verifiers) {
      expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await expect(codeChallenge(verifier)).resolves.toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it('encodes base64url without padding or + and /', () => {
    expect(base64Url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
    expect(base64Url(new Uint8Array([0x61]))).toBe('YQ');
  });

  it("reads a JWT's claims (unicode included) and nothing from what is not one", () => {
    const payload = Buffer.from(JSON.stringify({ email: 'zoë@example.test', nonce: 'n-1' })).toString('base64url');
    expect(jwtClaims(`e30.${payload}.sig`)).toEqual({ email: 'zoë@example.test', nonce: 'n-1' });
    expect(jwtClaims('not-a-jwt')).toBeUndefined();
    expect(jwtClaims('e30.!!!.sig')).toBeUndefined();
    expect(jwtClaims(`e30.${Buffer.from('[1]').toString('base64url')}.sig`)).toBeUndefined();
  });
});
