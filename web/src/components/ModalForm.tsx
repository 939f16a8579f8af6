import { type ReactNode, useEffect, useRef, useState } from 'react';

/**
 * The one action a dialog asks for: `run` marks it busy, closes the dialog when the action
 * succeeds, and otherwise keeps it open with the error to show.
 */
export function useDialogAction(onClose: () => void): { busy: boolean; error: unknown; run: (action: () => Promise<void>) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    action().then(onClose, (caught: unknown) => {
      setError(caught);
      setBusy(false);
    });
  };
  return { busy, error, run };
}

interface Props {
  /** The id of the dialog's heading, which names it. */
  headingId: string;
  busy: boolean;
  onClose: () => void;
  /** The form was submitted (its default already prevented). */
  onSubmit: () => void;
  children: ReactNode;
}

/**
 * A modal <dialog> holding one form, open while mounted: Escape closes it (not while busy)
 * and focus returns where it was.
 */
export function ModalForm({ headingId, busy, onClose, onSubmit, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="run-dialog"
      aria-labelledby={headingId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit();
        }}
      >
        {children}
      </form>
    </dialog>
  );
}
