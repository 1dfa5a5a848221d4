// Visage's mark: a head in a rounded square, in the header and (larger) on the sign-in pages.
export function Logo({ big = false }: { big?: boolean }) {
  const size = big ? 44 : 30;
  return (
    <span className={big ? 'logo big' : 'logo'} aria-hidden="true">
      <svg viewBox="0 0 32 32" width={size} height={size}>
        <rect width="32" height="32" rx="9" fill="currentColor" />
        <circle cx="16" cy="13.5" r="5.5" fill="none" stroke="#fff" strokeWidth="2.4" />
        <path
          d="M7.5 26.5c2-4.6 5.2-6.5 8.5-6.5s6.5 1.9 8.5 6.5"
          fill="none"
          stroke="#fff"
          strokeWidth="2.4"
          strokeLinecap="round"
        />
      </svg>
    </span>
  );
}
