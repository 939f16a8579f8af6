import { useState } from 'react';
import type { JsonSchema } from '../api-client';
import { CheckField, ChoiceGroup, Field } from './Field';

interface Props {
  schema: JsonSchema;
  value: Record<string, unknown>;
  secret: readonly string[];
  errors: Record<string, string>;
  /** Known values for a list of free strings (e.g. the tiers that have a rule): shown as checkboxes. */
  choices?: Record<string, string[]>;
  onChange: (value: Record<string, unknown>) => void;
  /** A control whose text cannot be read as a value (e.g. JSON) reports itself here. */
  onInvalid: (path: string, message: string | null) => void;
}

/** "signalPeriod" → "Signal period". */
export function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The schema of a property without its `null` alternative (optional values may be written as anyOf). */
function effective(schema: JsonSchema): JsonSchema {
  if (schema.anyOf) {
    const first = schema.anyOf.find((s) => s.type !== 'null');
    if (first) return { ...first, ...(schema.default !== undefined ? { default: schema.default } : {}), ...(schema.description ? { description: schema.description } : {}) };
  }
  return schema;
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

/** Limits of a number property as "from 1 to 365". */
function range(schema: JsonSchema): string | undefined {
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : undefined);
  const max = schema.maximum ?? schema.exclusiveMaximum;
  if (min !== undefined && max !== undefined) return `From ${min} to ${max}`;
  if (min !== undefined) return `At least ${min}`;
  if (max !== undefined) return `At most ${max}`;
  return undefined;
}

/** Checks one parameter the way its schema would; undefined when it passes. */
export function checkParameter(schema: JsonSchema, value: unknown, required: boolean): string | undefined {
  const s = effective(schema);
  const type = typeOf(s);
  if (value === undefined || value === '') return required && s.default === undefined ? 'is required' : undefined;
  if (type === 'integer' || type === 'number') {
    if (typeof value !== 'number' || Number.isNaN(value)) return 'must be a number';
    if (type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
    if (s.minimum !== undefined && value < s.minimum) return `must be at least ${s.minimum}`;
    if (s.maximum !== undefined && value > s.maximum) return `must be at most ${s.maximum}`;
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) return `must be more than ${s.exclusiveMinimum}`;
  }
  if (type === 'array' && Array.isArray(value) && s.minItems !== undefined && value.length < s.minItems) {
    return s.minItems === 1 ? 'choose at least one (or leave it unset)' : `needs at least ${s.minItems}`;
  }
  if (type === 'string' && typeof value === 'string') {
    if (s.minLength !== undefined && value.length < s.minLength) return `must be at least ${s.minLength} characters`;
    if (s.maxLength !== undefined && value.length > s.maxLength) return `must be at most ${s.maxLength} characters`;
  }
  return undefined;
}

function JsonText({ id, name, value, onValue, onInvalid, describedBy }: { id: string; name: string; value: unknown; onValue: (v: unknown) => void; onInvalid: (m: string | null) => void; describedBy?: string }) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)));
  return (
    <textarea
      id={id}
      name={name}
      className="mono"
      rows={4}
      value={text}
      {...(describedBy ? { 'aria-describedby': describedBy } : {})}
      onChange={(event) => {
        setText(event.target.value);
        if (event.target.value.trim() === '') {
          onInvalid(null);
          onValue(undefined);
          return;
        }
        try {
          onValue(JSON.parse(event.target.value));
          onInvalid(null);
        } catch {
          onInvalid('is not valid JSON');
        }
      }}
    />
  );
}

/** The job type's own parameters, one control per property of its JSON Schema. */
export function ParameterFields({ schema, value, secret, errors, choices = {}, onChange, onInvalid }: Props) {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return <p className="muted">This job type takes no parameters.</p>;
  const required = new Set(schema.required ?? []);
  const set = (name: string, next: unknown) => {
    const copy = { ...value };
    if (next === undefined) delete copy[name];
    else copy[name] = next;
    onChange(copy);
  };
  return (
    <>
      {properties.map(([name, raw]) => {
        const s = effective(raw);
        const type = typeOf(s);
        const path = `payload.parameters.${name}`;
        const label = humanize(name);
        const error = errors[path];
        const current = value[name];
        const hint = [s.description, range(s), s.default !== undefined ? `Default: ${JSON.stringify(s.default)}` : ''].filter(Boolean).join(' · ') || undefined;
        const isRequired = required.has(name) && s.default === undefined;

        if (s.enum && s.enum.every((v) => typeof v === 'string')) {
          return (
            <Field key={name} label={label} path={path} error={error} hint={hint}>
              {(props) => (
                <select {...props} value={typeof current === 'string' ? current : ''} onChange={(event) => set(name, event.target.value === '' ? undefined : event.target.value)}>
                  {isRequired ? null : <option value="">{s.default !== undefined ? `Default (${String(s.default)})` : 'Not set'}</option>}
                  {(s.enum as string[]).map((option) => (
                    <option key={option} value={option}>
                      {option}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          );
        }
        if (type === 'boolean') {
          return (
            <div key={name} className="field field--check" data-path={path}>
              <CheckField label={label} path={path} checked={current === true || (current === undefined && s.default === true)} onChange={(checked) => set(name, checked)} />
              {s.description ? <div className="hint">{s.description}</div> : null}
              {error ? (
                <p className="field-error" role="alert">
                  {error}
                </p>
              ) : null}
            </div>
          );
        }
        const known = choices[name];
        const options: unknown[] | undefined = s.items?.enum ?? (known && known.length > 0 ? [...new Set([...known, ...(Array.isArray(current) ? (current as unknown[]) : [])])] : undefined);
        if (type === 'array' && options) {
          const chosen = Array.isArray(current) ? (current as unknown[]) : [];
          return (
            <ChoiceGroup key={name} legend={s.items?.enum ? label : `${label} (none checked: all)`} path={path} error={error}>
              {options.map((option) => (
                <label key={String(option)} className="choice">
                  <input
                    type="checkbox"
                    checked={chosen.includes(option)}
                    onChange={(event) => {
                      const next = event.target.checked ? [...chosen, option] : chosen.filter((c) => c !== option);
                      set(name, next.length === 0 && !isRequired ? undefined : next);
                    }}
                  />
                  <span>{String(option)}</span>
                </label>
              ))}
            </ChoiceGroup>
          );
        }
        if (type === 'array' && typeOf(s.items ?? {}) === 'string') {
          const shown = Array.isArray(current) ? (current as string[]).join(', ') : '';
          return (
            <Field key={name} label={label} path={path} error={error} hint={['Comma-separated', hint].filter(Boolean).join(' · ')}>
              {(props) => (
                <input
                  {...props}
                  defaultValue={shown}
                  onChange={(event) => {
                    const items = event.target.value
                      .split(',')
                      .map((item) => item.trim())
                      .filter(Boolean);
                    set(name, items.length === 0 ? undefined : items);
                  }}
                />
              )}
            </Field>
          );
        }
        if (type === 'integer' || type === 'number') {
          return (
            <Field key={name} label={label} path={path} error={error} hint={hint}>
              {(props) => (
                <input
                  {...props}
                  type="number"
                  inputMode="numeric"
                  step={type === 'integer' ? 1 : 'any'}
                  {...(s.minimum !== undefined ? { min: s.minimum } : {})}
                  {...(s.maximum !== undefined ? { max: s.maximum } : {})}
                  value={typeof current === 'number' ? current : ''}
                  onChange={(event) => set(name, event.target.value === '' ? undefined : Number(event.target.value))}
                />
              )}
            </Field>
          );
        }
        if (type === 'string') {
          return (
            <Field key={name} label={label} path={path} error={error} hint={hint}>
              {(props) => (
                <input
                  {...props}
                  type={secret.includes(name) ? 'password' : s.format === 'uri' ? 'url' : 'text'}
                  autoComplete="off"
                  value={typeof current === 'string' ? current : ''}
                  onChange={(event) => set(name, event.target.value === '' ? undefined : event.target.value)}
                />
              )}
            </Field>
          );
        }
        return (
          <Field key={name} label={`${label} (JSON)`} path={path} error={error} hint={hint}>
            {(props) => (
              <JsonText
                id={props.id}
                name={props.name}
                value={current}
                onValue={(v) => set(name, v)}
                onInvalid={(message) => onInvalid(path, message)}
                {...(props['aria-describedby'] ? { describedBy: props['aria-describedby'] } : {})}
              />
            )}
          </Field>
        );
      })}
    </>
  );
}
