import { useState } from 'preact/hooks';

/** A form's submit: runs `send`, shows its error, disables the button meanwhile, and resets the form on success. */
export function useSubmit(send: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await send();
      (e.target as HTMLFormElement).reset();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, onSubmit };
}

/** The value of an input, select or textarea from its event. */
export const valueOf = (e: Event): string => (e.target as HTMLInputElement).value;
