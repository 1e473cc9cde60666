/**
 * A client's request path typed by the API's generated paths (domain/api/generated): the answer of
 * `get("/facilities/7/statement")` is the type /openapi.json declares for GET /facilities/{id}/statement. A path is
 * matched segment by segment (a `{param}` takes any one segment, a query string is ignored). A path that matches no
 * operation, or more than one (a segment only known at run time), answers `unknown`, which the caller must narrow.
 */

type Segments<S extends string> = S extends `${infer Head}/${infer Tail}` ? [Head, ...Segments<Tail>] : [S];
type WithoutQuery<S extends string> = S extends `${infer Path}?${string}` ? Path : S;

type SegmentsMatch<Sent extends string[], Declared extends string[]> = Sent extends [
  infer S extends string,
  ...infer SentRest extends string[],
]
  ? Declared extends [infer D extends string, ...infer DeclaredRest extends string[]]
    ? D extends `{${string}}`
      ? SegmentsMatch<SentRest, DeclaredRest>
      : S extends D
        ? SegmentsMatch<SentRest, DeclaredRest>
        : false
    : false
  : Declared extends []
    ? true
    : false;

type Method = "get" | "post" | "patch" | "put" | "delete";

/** The declared path (e.g. "/facilities/{id}") a sent path (e.g. `/facilities/${string}`) is a request of. */
export type DeclaredPath<Paths, M extends Method, Sent extends string> = {
  [P in keyof Paths & string]: Paths[P] extends Record<M, object>
    ? SegmentsMatch<Segments<WithoutQuery<Sent>>, Segments<P>> extends true
      ? P
      : never
    : never;
}[keyof Paths & string];

type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;

/** The JSON body of an operation's success answers (200, 201, 202). */
type SuccessBody<Operation> = Operation extends { responses: infer R }
  ? {
      [Status in keyof R]: Status extends 200 | 201 | 202
        ? R[Status] extends { content: { "application/json": infer Body } }
          ? Body
          : never
        : never;
    }[keyof R]
  : never;

/** What the API answers a request of `method` to `sent` (to each of them, for a union of paths). */
export type Answer<Paths, M extends Method, Sent extends string> = Sent extends unknown
  ? AnswerTo<Paths, M, Sent>
  : never;

type AnswerTo<Paths, M extends Method, Sent extends string> = [DeclaredPath<Paths, M, Sent>] extends [never]
  ? unknown
  : true extends IsUnion<DeclaredPath<Paths, M, Sent>>
    ? unknown
    : Paths[DeclaredPath<Paths, M, Sent> & keyof Paths] extends Record<M, infer Operation>
      ? SuccessBody<Operation>
      : unknown;
