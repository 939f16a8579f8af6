/** Jobs are drawn with an hourglass (never a clock), advancement rules with a lightning bolt. */
export function HourglassIcon({ size = 24 }: { size?: number }) {
  return (
    <svg className="icon icon--job" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M6 2h12v6l-4 4 4 4v6H6v-6l4-4-4-4V2zm2 2v3.2l4 4 4-4V4H8zm4 8.8-4 4V20h8v-3.2l-4-4z" />
    </svg>
  );
}

export function LightningIcon({ size = 24 }: { size?: number }) {
  return (
    <svg className="icon icon--rule" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M13 2 4 14h7l-1 8 9-12h-7l1-8z" />
    </svg>
  );
}
