// What Passport or a session middleware declares for the app: the signed-in user.
declare global {
  namespace Express {
    interface Request {
      user?: { id: string };
    }
  }
}

export {};
