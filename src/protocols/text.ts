/**
 * A transcript as another service's client expects to read it: models that write only capitals
 * (the shipped transducers) are lowered, as an unpunctuated hosted transcript is; cased text stays.
 */
export const readable = (text: string): string => (text === text.toUpperCase() ? text.toLowerCase() : text);
