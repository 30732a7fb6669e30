// Small inline SVG icons (markup, not scripts: allowed by the CSP).
type P = { title?: string };

const base = { width: 20, height: 20, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round', strokeLinejoin: 'round' } as const;

export const SendIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><path d="M4 12l16-8-6 16-2.5-6.5z" /><path d="M11.5 13.5L20 4" /></svg>
);
export const ComposeIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><path d="M12 20h9" /><path d="M16.5 3.5a2.1 2.1 0 013 3L7 19l-4 1 1-4z" /></svg>
);
export const ReplyIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><path d="M9 14L4 9l5-5" /><path d="M4 9h10.5a5.5 5.5 0 010 11H11" /></svg>
);
export const BackIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><path d="M15 18l-6-6 6-6" /></svg>
);
export const CloseIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><path d="M18 6L6 18M6 6l12 12" /></svg>
);
export const SearchIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><circle cx="11" cy="11" r="7" /><path d="M20 20l-3.5-3.5" /></svg>
);
export const LogoutIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><path d="M9 21H5a2 2 0 01-2-2V5a2 2 0 012-2h4" /><path d="M16 17l5-5-5-5M21 12H9" /></svg>
);
export const DownIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><path d="M6 9l6 6 6-6" /></svg>
);
export const ClockIcon = (_: P) => (
  <svg {...base} width={13} height={13} aria-hidden="true"><circle cx="12" cy="12" r="9" /><path d="M12 7v5l3 2" /></svg>
);
export const CheckIcon = ({ double }: P & { double?: boolean }) => (
  <svg {...base} width={16} height={13} viewBox="0 0 28 20" aria-hidden="true">
    <path d="M2 11l5 5L17 5" />
    {double && <path d="M12 15l1 1L25 5" />}
  </svg>
);
export const AlertIcon = (_: P) => (
  <svg {...base} width={14} height={14} aria-hidden="true"><circle cx="12" cy="12" r="9" /><path d="M12 8v5M12 16h.01" /></svg>
);
export const Logo = ({ size = 36 }: { size?: number }) => (
  <svg width={size} height={size} viewBox="0 0 64 64" aria-hidden="true">
    <circle cx="32" cy="32" r="30" fill="#65a30d" />
    <circle cx="32" cy="32" r="25" fill="#ecfccb" />
    <circle cx="32" cy="32" r="22" fill="#a3e635" />
    <g stroke="#ecfccb" strokeWidth="2.5" strokeLinecap="round">
      <path d="M32 12v40M12 32h40M18 18l28 28M46 18L18 46" />
    </g>
    <circle cx="32" cy="32" r="3" fill="#ecfccb" />
  </svg>
);
export const MoreIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><circle cx="5" cy="12" r="1.2" /><circle cx="12" cy="12" r="1.2" /><circle cx="19" cy="12" r="1.2" /></svg>
);
export const SmileIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><circle cx="12" cy="12" r="9" /><path d="M8.5 14.5a4 4 0 007 0" /><path d="M9 9.5h.01M15 9.5h.01" /></svg>
);
export const UsersIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><circle cx="9" cy="8" r="3.5" /><path d="M2.5 20a6.5 6.5 0 0113 0" /><path d="M16 4.5a3.5 3.5 0 010 7M18 14a6 6 0 013.5 6" /></svg>
);
export const SettingsIcon = (_: P) => (
  <svg {...base} aria-hidden="true"><circle cx="12" cy="12" r="3" /><path d="M12 2v3M12 19v3M4.2 4.2l2.1 2.1M17.7 17.7l2.1 2.1M2 12h3M19 12h3M4.2 19.8l2.1-2.1M17.7 6.3l2.1-2.1" /></svg>
);
