import { Global, Module } from '@nestjs/common';
import { ApprovalService } from './approval.service';
import { ApprovalStore } from './approval-store';
import { AuthzenService } from './authzen.service';
import { ControlAccessGate } from './control.gate';
import { ControlService } from './control.service';
import { ControlStateCache } from './control-state.cache';
import { OfflineStop } from './offline-stop';
import { OrgStateRepository } from './org-state.repository';
import { PauseService } from './pause.service';
import { PolicyService } from './policy.service';
import { SimulationService } from './simulation.service';
import { StripeWebhookService } from './stripe-webhook.service';

const providers = [
  ApprovalService,
  ApprovalStore,
  AuthzenService,
  ControlAccessGate,
  ControlService,
  ControlStateCache,
  OfflineStop,
  OrgStateRepository,
  PauseService,
  PolicyService,
  SimulationService,
  StripeWebhookService,
];

/** The control layer (docs/control.md); AppModule binds ControlAccessGate as the ACCESS_GATE. */
@Global()
@Module({ providers, exports: providers })
export class ControlModule {}
