"use client";

import Link from "next/link";
import type { Schemas } from "@/api/client";
import { Button, Spinner } from "@/components/ui/Button";
import { EmptyState, ProblemAlert } from "@/components/ui/Feedback";
import { SelectField } from "@/components/ui/Field";
import { actionOptions, actorName, describeActivity } from "@/lib/activity";
import { formatCount, formatTimestamp } from "@/lib/format";

type Activity = Schemas["ActivityRead"];

export interface ActivityFilterValues {
  userId: string;
  action: string;
}

/** Filter by person and by kind of action. */
export function ActivityFilters({
  values,
  people,
  onChange,
}: {
  values: ActivityFilterValues;
  people: { id: string; name: string }[];
  onChange: (values: ActivityFilterValues) => void;
}) {
  return (
    <div className="mb-4 flex flex-wrap gap-4">
      <SelectField
        label="Person"
        wrapperClassName="w-60"
        value={values.userId}
        onChange={(e) => onChange({ ...values, userId: e.target.value })}
        options={[{ value: "", label: "Everyone" }, ...people.map((p) => ({ value: p.id, label: p.name }))]}
      />
      <SelectField
        label="Action"
        wrapperClassName="w-72"
        value={values.action}
        onChange={(e) => onChange({ ...values, action: e.target.value })}
        options={[{ value: "", label: "All actions" }, ...actionOptions()]}
      />
    </div>
  );
}

/** The audit trail, newest first: when, who, what (in words; the raw action id on hover). */
export function ActivityFeed({
  page,
  isPending,
  error,
  offset,
  limit,
  onOffset,
  names,
  projectNames,
  showProject = false,
  filtered = false,
}: {
  page: { items: Activity[]; total: number } | undefined;
  isPending: boolean;
  error: unknown;
  offset: number;
  limit: number;
  onOffset: (offset: number) => void;
  /** userId → a name to show instead of the email. */
  names?: Map<string, string>;
  /** projectId → its name, where known (the instance feed). */
  projectNames?: Map<string, string>;
  showProject?: boolean;
  filtered?: boolean;
}) {
  const items = page?.items ?? [];
  const total = page?.total ?? 0;
  return (
    <div className="space-y-3">
      {isPending && <Spinner label="Loading activity…" />}
      <ProblemAlert error={error} action="Loading activity" />
      {page && items.length === 0 && (
        <EmptyState title={filtered ? "Nothing matches these filters" : "Nothing has happened yet"} />
      )}
      {items.length > 0 && (
        <>
          <p className="text-sm text-slate-600">
            {offset + 1}–{offset + items.length} of {formatCount(total)}
          </p>
          <table className="w-full text-left text-sm" aria-label="Activity" data-testid="activity-feed">
            <thead className="border-b border-slate-200 text-slate-500">
              <tr>
                <th scope="col" className="py-2 pr-3 font-medium">When</th>
                <th scope="col" className="py-2 pr-3 font-medium">Who</th>
                <th scope="col" className="py-2 pr-3 font-medium">What</th>
                {showProject && <th scope="col" className="py-2 font-medium">Project</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((event) => (
                <tr key={event.id} className="border-b border-slate-100 align-top last:border-0">
                  <td className="whitespace-nowrap py-2 pr-3 text-slate-600">
                    <time dateTime={event.createdAt}>{formatTimestamp(event.createdAt)}</time>
                  </td>
                  <td className="py-2 pr-3">
                    <span className={event.userId ? undefined : "text-slate-500"}>{actorName(event, names)}</span>
                  </td>
                  <td className="py-2 pr-3" title={event.action}>
                    {describeActivity(event)}
                  </td>
                  {showProject && (
                    <td className="py-2">
                      {event.projectId ? (
                        <Link href={`/projects/${event.projectId}/activity`} className="text-indigo-700 hover:underline">
                          {projectNames?.get(event.projectId) ?? `project ${event.projectId.slice(0, 8)}`}
                        </Link>
                      ) : (
                        <span className="text-slate-400">—</span>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {total > limit && (
        <div className="flex gap-2">
          <Button size="sm" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
            Newer
          </Button>
          <Button size="sm" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
            Older
          </Button>
        </div>
      )}
    </div>
  );
}
