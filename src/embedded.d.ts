// Files imported `with { type: "file" }` are their path (inside the binary once compiled); `.sql` files are imported as text.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string;
  export default path;
}
declare module '*.css' {
  const path: string;
  export default path;
}
declare module '*.png' {
  const path: string;
  export default path;
}
declare module '*.sql' {
  const path: string;
  export default path;
}

declare module '*.wav' {
  const path: string;
  export default path;
}

declare module '*.onnx' {
  const path: string;
  export default path;
}
