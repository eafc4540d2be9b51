/** What `npm start` prints once the port is open: a token command and a first grpcurl call. */
export function printWelcome(options: { port: number; dataDir: string; hasOwnKey: boolean }): void {
  const address = `127.0.0.1:${options.port}`;
  const lines = [
    '',
    `mini-chat is ready on ${address} (gRPC, gRPC-Web and Connect; reflection and health enabled)`,
    '',
    'Get a token and try it:',
    `  TOKEN=$(npm run --silent token -- --tenant 11111111-1111-4111-8111-111111111111 --user 22222222-2222-4222-8222-222222222222)`,
    `  grpcurl -plaintext ${address} list`,
    `  grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d '{"title":"hello"}' ${address} minichat.v1.ChatService/CreateChat`,
    '',
  ];
  if (options.hasOwnKey) lines.splice(4, 0, '  (tokens must be signed with your AUTH_JWT_SECRET or JWKS key)');
  process.stdout.write(`${lines.join('\n')}\n`);
}
