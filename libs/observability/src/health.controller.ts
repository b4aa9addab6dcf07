import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Readiness, type ReadinessReport } from './readiness.js';

/** The slice of the HTTP response used here (express in every app; kept structural so no express types leak). */
interface StatusResponse {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

@ApiTags('ops')
@Controller()
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  /** Liveness: the event loop answers. Dependencies are /ready's business. */
  @Get('health')
  @ApiOkResponse({ description: '{"status":"ok"}' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: 200 when Postgres and Redis answer in time, 503 otherwise or while draining. The status is
   * set here rather than thrown, so the API's error filter does not rewrite the body into an error shape.
   */
  @Get('ready')
  @ApiOkResponse({ description: '{"status":"ready","checks":{"postgres":"ok","redis":"ok"}}' })
  @ApiServiceUnavailableResponse({ description: '{"status":"unready","checks":{…}} or {"status":"draining"}' })
  async ready(@Res({ passthrough: true }) res: StatusResponse): Promise<ReadinessReport> {
    const report = await this.readiness.check();
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ready' ? 200 : 503);
    return report;
  }
}
