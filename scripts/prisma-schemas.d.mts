/** A provider and a kind of user id: the folder under prisma/ holding its schema and migrations. */
export type Variant = 'sqlite' | 'postgresql' | 'sqlite-string' | 'postgresql-string'
/** The folder holding the models and the variant folders. */
export const prismaDir: string
/** The fields of the plugin's models that hold a user id. */
export const USER_ID_FIELDS: string[]
/** The plugin's models for string user ids. */
export function withStringUserIds (models: string): string
/** The variant's schema (datasource, generator, example User model, plugin models) as text. */
export function schemaFor (variant: Variant, models?: string, user?: string): string
export const variants: Record<Variant, { provider: 'sqlite' | 'postgresql', models: (text: string) => string, user: (text: string) => string }>
