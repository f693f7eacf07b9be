import { Type, type TSchema } from '@sinclair/typebox';

/** Ids of providers and plans. */
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' });
/** A credit amount with up to 6 decimals, as an exact decimal string (never a float). */
export const Credits = Type.String({ pattern: '^-?[0-9]{1,12}(\\.[0-9]{1,6})?$', description: 'A credit amount with up to 6 decimals, as a string.' });
/** Whole microcredits as a string (1 credit = 1,000,000). */
export const Micros = Type.String({ description: 'A whole number of microcredits, as a string (exact).' });
/** An ISO 8601 time. */
export const Timestamp = Type.String({ format: 'date-time' });
/** A body field that may also be null (e.g. "no limit"). */
export const OrNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A positive whole number, or null for "unlimited". */
export const Limit = OrNull(Type.Integer({ minimum: 1 }));
/** One of a few strings, as a JSON Schema `enum` (so a 400 lists the allowed values). */
export const OneOf = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
