"use client";

import { useParams } from "next/navigation";
import { useState } from "react";
import { useProjectActivity } from "@/api/hooks/activity";
import { useMembers } from "@/api/hooks/members";
import { ActivityFeed, ActivityFilters, type ActivityFilterValues } from "@/components/activity/ActivityFeed";
import { Button } from "@/components/ui/Button";
import { Section } from "@/components/ui/Feedback";

const LIMIT = 50;

export default function ProjectActivityPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const [filters, setFilters] = useState<ActivityFilterValues>({ userId: "", action: "" });
  const [offset, setOffset] = useState(0);
  const activity = useProjectActivity(projectId, { ...filters, offset, limit: LIMIT });
  const members = useMembers(projectId);
  const people = (members.data ?? []).map((m) => ({ id: m.userId, name: m.displayName }));
  return (
    <Section
      id="activity"
      title="Activity"
      description="Every change made to this project, who made it and when."
      actions={
        <Button size="sm" onClick={() => void activity.refetch()}>
          Refresh
        </Button>
      }
    >
      <ActivityFilters
        values={filters}
        people={people}
        onChange={(values) => {
          setFilters(values);
          setOffset(0);
        }}
      />
      <ActivityFeed
        page={activity.data}
        isPending={activity.isPending}
        error={activity.error}
        offset={offset}
        limit={LIMIT}
        onOffset={setOffset}
        names={new Map(people.map((p) => [p.id, p.name]))}
        filtered={Boolean(filters.userId || filters.action)}
      />
    </Section>
  );
}
