import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { Reaction } from '../sdk/messages';
import { MoreIcon, ReplyIcon, SmileIcon } from './icons';

/** The emoji the picker offers (the server accepts any single emoji: docs/protocol.md §10, "Reactions"). */
export const REACTION_EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🎉', '🔥'] as const;

export interface MessageMenuItem {
  label: string;
  run: () => void;
  danger?: boolean;
}

/**
 * A message's action buttons: reply, react (a small emoji picker) and a "more" menu (edit, delete, hide, pin…).
 * Menus open on click or Enter/Space, take the focus, move with the arrow keys and close on Escape (focus back on
 * their button) or a click elsewhere.
 */
export function MessageActions({ onReply, onReact, items }: { onReply?: () => void; onReact?: (emoji: string) => void; items: MessageMenuItem[] }) {
  const [open, setOpenState] = useState<'react' | 'more' | null>(null);
  const [below, setBelow] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);

  function setOpen(next: 'react' | 'more' | null) {
    // Near the top of the timeline a menu opens downwards (upwards it would be hidden under the header).
    const el = wrap.current;
    const scroller = el?.closest('.messages');
    if (next && el && scroller) setBelow(el.getBoundingClientRect().top - scroller.getBoundingClientRect().top < 240);
    setOpenState(next);
  }
  const reactButton = useRef<HTMLButtonElement>(null);
  const moreButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const first = wrap.current?.querySelector<HTMLButtonElement>('[role=menu] button');
    first?.focus();
    const outside = (e: MouseEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(null);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  function close() {
    const back = open === 'react' ? reactButton.current : moreButton.current;
    setOpen(null);
    back?.focus();
  }

  function onMenuKey(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
      return;
    }
    const keys = ['ArrowDown', 'ArrowRight', 'ArrowUp', 'ArrowLeft'];
    if (!keys.includes(e.key)) return;
    e.preventDefault();
    const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button')];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const step = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : -1;
    buttons[(i + step + buttons.length) % buttons.length]?.focus();
  }

  return (
    <div className={`msg-actions ${open ? 'open' : ''}`} ref={wrap}>
      {onReply && (
        <button className="msg-action" aria-label="Reply" title="Reply" onClick={onReply}>
          <ReplyIcon />
        </button>
      )}
      {onReact && (
        <button
          ref={reactButton}
          className="msg-action"
          aria-label="Add reaction"
          title="Add reaction"
          aria-haspopup="menu"
          aria-expanded={open === 'react'}
          onClick={() => setOpen(open === 'react' ? null : 'react')}
        >
          <SmileIcon />
        </button>
      )}
      {items.length > 0 && (
        <button
          ref={moreButton}
          className="msg-action"
          aria-label="More actions"
          title="More actions"
          aria-haspopup="menu"
          aria-expanded={open === 'more'}
          onClick={() => setOpen(open === 'more' ? null : 'more')}
        >
          <MoreIcon />
        </button>
      )}
      {open === 'react' && onReact && (
        <Menu label="Pick a reaction" className="emoji-picker" below={below} onKeyDown={onMenuKey}>
          {REACTION_EMOJI.map((emoji) => (
            <button
              key={emoji}
              role="menuitem"
              aria-label={`React with ${emoji}`}
              onClick={() => {
                close();
                onReact(emoji);
              }}
            >
              {emoji}
            </button>
          ))}
        </Menu>
      )}
      {open === 'more' && (
        <Menu label="Message actions" className="action-menu" below={below} onKeyDown={onMenuKey}>
          {items.map((item) => (
            <button
              key={item.label}
              role="menuitem"
              className={item.danger ? 'danger' : ''}
              onClick={() => {
                close();
                item.run();
              }}
            >
              {item.label}
            </button>
          ))}
        </Menu>
      )}
    </div>
  );
}

function Menu({ label, className, below, onKeyDown, children }: { label: string; className: string; below: boolean; onKeyDown: (e: KeyboardEvent<HTMLDivElement>) => void; children: ReactNode }) {
  return (
    <div role="menu" aria-label={label} className={`popover ${className} ${below ? 'below' : ''}`} onKeyDown={onKeyDown}>
      {children}
    </div>
  );
}

/** The reactions under a message: one chip per emoji with its count; mine are pressed, and a click toggles mine. */
export function ReactionChips({ reactions, me, nameOf, onToggle }: { reactions: readonly Reaction[]; me: number; nameOf: (id: number) => string; onToggle: (emoji: string, mine: boolean) => void }) {
  if (reactions.length === 0) return null;
  return (
    <div className="reactions" data-testid="reactions">
      {reactions.map((r) => {
        const mine = r.users?.includes(me) ?? false;
        const who = r.users ? r.users.map((u) => (u === me ? 'you' : nameOf(u))).join(', ') : `${r.count}`;
        return (
          <button
            key={r.emoji}
            className={`reaction ${mine ? 'mine' : ''}`}
            aria-pressed={mine}
            aria-label={`${r.emoji} ${r.count}${mine ? ', including you' : ''}. ${mine ? 'Remove your reaction' : 'React'}`}
            title={who}
            data-testid="reaction"
            data-emoji={r.emoji}
            data-count={r.count}
            data-mine={mine ? 'true' : 'false'}
            onClick={() => onToggle(r.emoji, mine)}
          >
            <span aria-hidden="true">{r.emoji}</span>
            <span className="reaction-count" aria-hidden="true">
              {r.count}
            </span>
          </button>
        );
      })}
    </div>
  );
}

/** Editing a message in place: Enter saves, Shift+Enter adds a line, Escape cancels (not while an IME composes). */
export function EditBox({ initial, onSave, onCancel }: { initial: string; onSave: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  const area = useRef<HTMLTextAreaElement>(null);
  const composing = useRef(false);

  useEffect(() => {
    const el = area.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  function save() {
    if (!text.trim()) return;
    if (text === initial) onCancel();
    else onSave(text);
  }

  return (
    <div className="edit-box">
      <textarea
        ref={area}
        value={text}
        rows={Math.min(6, text.split('\n').length)}
        aria-label="Edit message"
        data-testid="edit-box"
        onChange={(e) => setText(e.target.value)}
        onCompositionStart={() => (composing.current = true)}
        onCompositionEnd={() => (composing.current = false)}
        onKeyDown={(e) => {
          if (e.nativeEvent.isComposing || composing.current || e.keyCode === 229) return;
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          } else if (e.key === 'Enter' && !e.shiftKey && !e.altKey) {
            e.preventDefault();
            save();
          }
        }}
      />
      <span className="edit-hint">
        Enter to <button className="link-button" onClick={save}>save</button> · Esc to <button className="link-button" onClick={onCancel}>cancel</button>
      </span>
    </div>
  );
}

/** A confirmation inside the app (a modal dialog; the browser's confirm() blocks the page and is easy to dismiss by accident). */
export interface ConfirmRequest {
  title: string;
  body?: string;
  confirmLabel: string;
  run: () => void;
}

export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="dialog confirm-dialog" onClose={onClose} onCancel={onClose} aria-label={request.title} data-testid="confirm-dialog">
      <h2>{request.title}</h2>
      {request.body && <p className="muted">{request.body}</p>}
      <div className="confirm-actions">
        <button className="ghost" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button
          className="primary danger-button"
          onClick={() => {
            onClose();
            request.run();
          }}
        >
          {request.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
