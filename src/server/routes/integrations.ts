// Integrations (admin only): MQTT and Frigate bridge status and settings; webhook subscriptions, their
// deliveries and dead letters.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import type {
  FrigateSettingsBody,
  IdParams,
  IntegrationSettings,
  IntegrationsStatus,
  MqttSettingsBody,
  Webhook,
  WebhookBody,
  WebhookCreated,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookList,
  WebhookUpdateBody,
} from '../../api/index.js';
import { contract } from '../schemas.js';

const admin = { access: 'admin' } as const;
const tags = ['integrations'];

export function registerIntegrationRoutes(app: FastifyInstance, { visage }: ServerContext): void {
  const integrations = visage.integrations;
  const webhooks = integrations.webhooks;

  app.get<{ Reply: IntegrationsStatus }>(
    '/integrations',
    {
      config: admin,
      schema: {
        tags,
        summary:
          'MQTT (connected, published, dropped), the Frigate bridge with its last events, webhook counts',
        ...contract('GET /integrations'),
      },
    },
    async () => integrations.status(),
  );

  app.get<{ Reply: IntegrationSettings }>(
    '/integrations/settings',
    {
      config: admin,
      schema: {
        tags,
        summary: 'The saved MQTT and Frigate settings (never the password)',
        ...contract('GET /integrations/settings'),
      },
    },
    async () => integrations.settings(),
  );

  app.put<{ Body: MqttSettingsBody; Reply: IntegrationsStatus }>(
    '/integrations/mqtt',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Publish events to this MQTT broker (reconnects now)',
        ...contract('PUT /integrations/mqtt'),
      },
    },
    async (request) => {
      await integrations.saveMqtt(request.body);
      return integrations.status();
    },
  );

  app.delete<{ Reply: IntegrationsStatus }>(
    '/integrations/mqtt',
    {
      config: admin,
      schema: { tags, summary: 'Stop publishing to MQTT', ...contract('DELETE /integrations/mqtt') },
    },
    async () => {
      await integrations.saveMqtt(null);
      return integrations.status();
    },
  );

  app.put<{ Body: FrigateSettingsBody; Reply: IntegrationsStatus }>(
    '/integrations/frigate',
    {
      config: admin,
      schema: {
        tags,
        summary: "Run the Frigate bridge on the MQTT setting's broker (restarts it now)",
        ...contract('PUT /integrations/frigate'),
      },
    },
    async (request) => {
      await integrations.saveFrigate(request.body);
      return integrations.status();
    },
  );

  app.delete<{ Reply: IntegrationsStatus }>(
    '/integrations/frigate',
    {
      config: admin,
      schema: { tags, summary: 'Stop the Frigate bridge', ...contract('DELETE /integrations/frigate') },
    },
    async () => {
      await integrations.saveFrigate(null);
      return integrations.status();
    },
  );

  app.get<{ Reply: WebhookList }>(
    '/webhooks',
    {
      config: admin,
      schema: { tags, summary: 'Webhook subscriptions with delivery counts', ...contract('GET /webhooks') },
    },
    async () => ({ items: webhooks.list() }),
  );

  app.post<{ Body: WebhookBody; Reply: WebhookCreated }>(
    '/webhooks',
    {
      config: admin,
      schema: {
        tags,
        summary:
          'Subscribe a URL (held to the camera address policy); the answer holds the signing secret, once',
        ...contract('POST /webhooks'),
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.create(request.body)),
  );

  app.patch<{ Params: IdParams; Body: WebhookUpdateBody; Reply: Webhook }>(
    '/webhooks/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: "Change a webhook's URL, filters or state",
        ...contract('PATCH /webhooks/:id'),
      },
    },
    async (request) => webhooks.update(request.params.id, request.body),
  );

  app.delete<{ Params: IdParams }>(
    '/webhooks/:id',
    {
      config: admin,
      schema: { tags, summary: 'Remove a webhook and its deliveries', ...contract('DELETE /webhooks/:id') },
    },
    async (request, reply) => {
      webhooks.remove(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParams; Reply: WebhookDeliveryList }>(
    '/webhooks/:id/deliveries',
    {
      config: admin,
      schema: {
        tags,
        summary: "A webhook's last 100 deliveries, newest first",
        ...contract('GET /webhooks/:id/deliveries'),
      },
    },
    async (request) => ({ items: webhooks.deliveries(request.params.id) }),
  );

  app.get<{ Reply: WebhookDeliveryList }>(
    '/webhooks/dead-letters',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Deliveries whose last retry failed, newest first',
        ...contract('GET /webhooks/dead-letters'),
      },
    },
    async () => ({ items: webhooks.deadLetters() }),
  );

  app.post<{ Params: IdParams; Reply: WebhookDelivery }>(
    '/webhooks/deliveries/:id/retry',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Send a dead letter again',
        ...contract('POST /webhooks/deliveries/:id/retry'),
      },
    },
    async (request) => webhooks.redeliver(request.params.id),
  );
}
