import type { ModelsTarget } from '../src/schema/prisma.ts'
import type { Table } from '../src/schema/tables.ts'
/** A provider and a kind of user id: the folder under prisma/ holding its schema and migrations. */
export type Variant = 'sqlite' | 'postgresql' | 'mysql' | 'sqlite-string' | 'postgresql-string' | 'mysql-string'
/** The folder holding the example's User model and the variant folders. */
export const prismaDir: string
/** The variant's schema (generator, datasource, example User model, plugin models) as text, from `tables` (default: the working tree's). */
export function schemaFor (variant: Variant, tables?: Readonly<Record<string, Table>>, user?: string): string
export const variants: Record<Variant, { provider: 'sqlite' | 'postgresql' | 'mysql', target: ModelsTarget, user: (text: string) => string }>
