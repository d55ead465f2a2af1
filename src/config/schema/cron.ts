import { z } from 'zod';
import { CronError, parseCron } from '../../util/cron.ts';

/** A cron expression, checked when the repository loads so a bad one is an error with its position. */
export const cronExpression = z
  .string()
  .superRefine((text, ctx) => {
    try {
      parseCron(text);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      ctx.addIssue({
        code: 'custom',
        message:
          `${err.message}; write five fields like "0 3 * * *" (minute hour day-of-month month ` +
          "day-of-week, in the runner's time zone) or @hourly, @daily, @weekly, @monthly, @yearly",
      });
    }
  })
  .describe(
    'When: minute hour day-of-month month day-of-week (or @hourly, @daily, @weekly, @monthly, @yearly), in the time zone of the runner that serves',
  );
