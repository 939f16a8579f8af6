import { type ReactNode, useId, useState } from 'react';
import { PHONE, useMediaQuery } from '../hooks/use-media-query';

/**
 * A titled part of a form. On phones it is an accordion item (only the first opens by
 * default); wider screens show every section, side by side or stacked (CSS).
 */
export function Section({ title, children, initiallyOpen = false }: { title: string; children: ReactNode; initiallyOpen?: boolean }) {
  const phone = useMediaQuery(PHONE);
  const [open, setOpen] = useState(initiallyOpen);
  const id = useId();
  const shown = !phone || open;
  return (
    <section className="form-section" aria-labelledby={`${id}-title`}>
      {phone ? (
        <h2 className="form-section-title">
          <button type="button" id={`${id}-title`} className="accordion-toggle" aria-expanded={open} aria-controls={`${id}-body`} onClick={() => setOpen(!open)}>
            {title}
            <span aria-hidden="true">{open ? '▾' : '▸'}</span>
          </button>
        </h2>
      ) : (
        <h2 className="form-section-title" id={`${id}-title`}>
          {title}
        </h2>
      )}
      <div id={`${id}-body`} className="form-section-body" hidden={!shown}>
        {children}
      </div>
    </section>
  );
}
