import { createServer, type Server, type Socket } from 'node:net';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { MqttConnections } from './mqtt-connections.js';

/**
 * MQTT over TCP on MQTT_PORT (default 1883; 0 = any free port, announced like the HTTP port; `off` =
 * none). A port already taken (another broker) is logged and MQTT over TCP stays off: the gateway's
 * other transports, MQTT over WebSocket included, are not held hostage by it.
 */
@Injectable()
export class MqttListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly logger;

  constructor(
    private readonly connections: MqttConnections,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.logger = createLogger(config, 'gateway').child({ component: 'mqtt' });
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.mqttPort;
    if (port === null) return;
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.connections.accept(socket);
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        this.logger.error({ port, err: e.code ?? e.message }, `MQTT over TCP is off: port ${port} cannot be used (another broker?); set MQTT_PORT`);
        resolve(false);
      });
      server.listen(port, this.config.host, () => resolve(true));
    });
    if (!listening) return;
    this.server = server;
    const actual = (server.address() as { port: number }).port;
    // Asked for any port, say which (the test harness reads this line, as for the HTTP port).
    if (port === 0) process.stdout.write(`herald mqtt listening on ${actual}\n`);
    this.logger.info({ port: actual }, 'mqtt ready');
  }

  /** No new MQTT clients; the session core's drain tells the connected ones to leave. */
  async beforeApplicationShutdown(): Promise<void> {
    this.server?.close();
  }
}
