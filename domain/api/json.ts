import { z } from "zod";

/**
 * Free-form JSON in a response (a document's metadata, a metric's figures, a registry record's data), declared as JSON
 * rather than as an open object: a client generated from /openapi.json gets a JSON type, not `unknown`.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Any JSON value (null included). A reference to it that zod-to-openapi marks nullable is written anyOf, not oneOf. */
export const JsonValue: z.ZodType<JsonValue> = z
  .union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(z.lazy(() => JsonValue)),
    z.record(
      z.string(),
      z.lazy(() => JsonValue),
    ),
  ])
  .meta({ id: "JsonValue", description: "any JSON value" });

/** A JSON object of free-form fields. */
export const JsonObject = z.record(z.string(), JsonValue);
export type JsonObject = z.infer<typeof JsonObject>;
