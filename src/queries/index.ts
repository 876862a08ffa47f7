// Typed query functions: each takes the database first, `fn(db, params)`.
export {};
