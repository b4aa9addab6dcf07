import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Herald API')
    .setDescription(
      'Management plane (accounts, apps, keys) with an account session token; data plane (publish, history) with an app key. ' +
        'Errors always have the shape {code, content, reason}, with the HTTP status equal to code.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Account session token (hs_…) from POST /v1/sessions' }, 'account')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'App key: secret, common (BC-…) or subscribe (BS-…) key' }, 'appKey')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs, the JSON document at /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
