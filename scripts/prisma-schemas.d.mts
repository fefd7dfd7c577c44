/** The folder holding the models and the provider folders. */
export const prismaDir: string
/** The provider schema (datasource, generator, example User model, plugin models) as text. */
export function schemaFor (provider: 'sqlite' | 'postgresql', models?: string, user?: string): string
export const providers: Record<'sqlite' | 'postgresql', (text: string) => string>
