import type { PipeTransform } from '@nestjs/common';
import { Problems } from '@gatehouse/core';
import type { z } from 'zod';

/** Parses a body or query with a zod schema; every failure becomes one 400 problem listing the fields. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    return parseOrProblem(this.schema, value);
  }
}

/** The pipe's parse, for plain Fastify routes: the value, or one 400 problem listing the fields. */
export function parseOrProblem<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? undefined);
  if (result.success) return result.data;
  throw Problems.validation(
    result.error.issues.map((i) => ({
      path: i.path.join('.'),
      message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
    })),
  );
}
