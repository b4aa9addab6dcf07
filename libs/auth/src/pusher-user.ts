/**
 * Pusher's user channel `#server-to-user-{id}` (sendToUser) inside Herald. `#` is not in Herald's channel
 * alphabet, so the channel lives under an internal, app-scoped name: `private-` (publishing needs the
 * secret, reading needs the app's signature) and `!` (refused by Pusher's libraries in channel names, so
 * no `authorizeChannel` can sign it). The gateway subscribes a signed-in socket itself and refuses the
 * internal name from any client (docs/pusher.md).
 */
export const PUSHER_USER_CHANNEL_PREFIX = '#server-to-user-';
export const USER_CHANNEL_PREFIX = 'private-server-to-user!';

/** The internal channel of a (validated) user id. */
export function userChannel(userId: string): string {
  return `${USER_CHANNEL_PREFIX}${userId}`;
}

/** The internal name of a channel given by a Pusher client or server library (`#server-to-user-…` mapped, others as given). */
export function fromPusherChannel(name: string): string {
  return name.startsWith(PUSHER_USER_CHANNEL_PREFIX) ? userChannel(name.slice(PUSHER_USER_CHANNEL_PREFIX.length)) : name;
}

/** The name a Pusher client knows a channel by (the internal user channel back to `#server-to-user-…`). */
export function toPusherChannel(name: string): string {
  return name.startsWith(USER_CHANNEL_PREFIX) ? `${PUSHER_USER_CHANNEL_PREFIX}${name.slice(USER_CHANNEL_PREFIX.length)}` : name;
}

/** What a user sign-in's `auth` signs (Pusher's `authenticateUser`): `{socket_id}::user::{user_data}`. */
export function userSigninText(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}
