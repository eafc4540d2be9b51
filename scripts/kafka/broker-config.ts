/** The two loopback ports of a single-node KRaft broker. */
export type BrokerPorts = {
  /** Clients connect here: `KAFKA_BROKERS=127.0.0.1:<port>`. */
  readonly port: number;
  /** The KRaft controller quorum (this node alone); clients never use it. */
  readonly controllerPort: number;
};

/**
 * `server.properties` of a single node acting as broker and controller, listening on 127.0.0.1
 * only. Sized for tests on a 2-core machine; `message.max.bytes` keeps Kafka's default (1 MiB),
 * which the relay's poison-event tests rely on exceeding.
 */
export function serverProperties(options: { ports: BrokerPorts; logDir: string }): string {
  const { port, controllerPort } = options.ports;
  return (
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${escapeValue(options.logDir)}`,
      // one node: every internal topic has one replica
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      // the first consumer group creates __consumer_offsets: 1 partition instead of 50 makes
      // that take milliseconds instead of seconds
      'offsets.topic.num.partitions=1',
      'transaction.state.log.num.partitions=1',
      // topics are created on purpose (the relay at start, tests with aTopic()), never by a typo
      'auto.create.topics.enable=false',
      // a test's consumer group joins at once instead of waiting 3 s for more members
      'group.initial.rebalance.delay.ms=0',
      // two cores: Kafka's thread pools sized for servers only add contention
      'num.network.threads=2',
      'num.io.threads=2',
      'num.recovery.threads.per.data.dir=1',
      'background.threads=2',
    ].join('\n') + '\n'
  );
}

/** The ports written in an existing `server.properties`, so a restart listens where clients expect. */
export function readBrokerPorts(properties: string): BrokerPorts | undefined {
  const port = /^advertised\.listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)$/m.exec(properties)?.[1];
  const controllerPort = /^controller\.quorum\.voters=1@127\.0\.0\.1:(\d+)$/m.exec(properties)?.[1];
  if (port === undefined || controllerPort === undefined) return undefined;
  return { port: Number(port), controllerPort: Number(controllerPort) };
}

/** log4j 2 configuration sending everything the broker logs to one file instead of stdout. */
export function log4jProperties(logFile: string): string {
  return (
    [
      'appender.file.type=File',
      'appender.file.name=file',
      `appender.file.fileName=${escapeValue(logFile)}`,
      'appender.file.layout.type=PatternLayout',
      'appender.file.layout.pattern=[%d] %p %m (%c)%n',
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.file.ref=file',
      // one line per request at INFO would dwarf everything else
      'logger.request.name=kafka.request.logger',
      'logger.request.level=WARN',
    ].join('\n') + '\n'
  );
}

function escapeValue(value: string): string {
  return value.replaceAll('\\', '\\\\');
}

/**
 * A KRaft cluster id: 16 random bytes in base64url, as `kafka-storage random-uuid` makes it, drawn
 * again when it starts with `-`. Kafka's own `Uuid.randomUuid()` never returns such an id, and
 * the storage tool's argument parser reads `--cluster-id -…` as a missing value: one format in 64
 * failed that way, and with it the test run that started the broker.
 */
export function newClusterId(randomBytes: (size: number) => Buffer): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
