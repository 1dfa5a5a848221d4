// A small bundled deny-list of passwords that meet the length rule yet are among the first an attacker
// tries: long forms of the classics from public breach-frequency lists (the "top 10k" lists' entries of
// 12 characters or more), keyboard walks and the product's own name. Compared after lowercasing and
// dropping spaces, so "Password 1234" is refused as "password1234". Kept short on purpose: the length rule
// does most of the work; this only removes what a dictionary attack would reach in its first seconds.
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789123',
  '123123123123',
  '111111111111',
  '000000000000',
  '121212121212',
  '987654321098',
  'password1234',
  'password12345',
  'password123456',
  'passwordpassword',
  'mypassword123',
  'password1!password',
  'qwertyuiop12',
  'qwertyuiop123',
  'qwertyuiopasdf',
  'qwertyuiopasdfgh',
  'qwertyqwerty',
  'qwerty123456',
  'asdfghjkl123',
  "asdfghjkl;'",
  'zxcvbnm12345',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'qazwsxedcrfv',
  'abcdefghijkl',
  'abcdefg12345',
  'abc123abc123',
  'iloveyou1234',
  'letmein12345',
  'welcome12345',
  'welcome123456',
  'administrator',
  'administrator1',
  'admin1234567',
  'adminadmin123',
  'changeme1234',
  'changemenow!',
  'trustno1trustno1',
  'football1234',
  'baseball1234',
  'superman1234',
  'sunshine1234',
  'princess1234',
  'starwars1234',
  'dragon123456',
  'monkey123456',
  'master123456',
  'correcthorsebatterystaple',
  'visage123456',
  'visagevisage',
  'visagepassword',
  'facerecognition',
]);

/** Whether `password` is on the deny-list (compared lowercased, without spaces). */
export function isCommonPassword(password: string): boolean {
  const folded = password.normalize('NFC').toLowerCase().replace(/\s+/gu, '');
  // One character repeated ("aaaaaaaaaaaa") is as weak as any listed one.
  return COMMON_PASSWORDS.has(folded) || /^(.)\1*$/u.test(folded);
}
