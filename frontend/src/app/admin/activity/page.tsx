"use client";

import { useState } from "react";
import { useInstanceActivity } from "@/api/hooks/activity";
import { useProjects } from "@/api/hooks/projects";
import { useUsers } from "@/api/hooks/users";
import { ActivityFeed, ActivityFilters, type ActivityFilterValues } from "@/components/activity/ActivityFeed";
import { AdminOnly } from "@/components/admin/AdminOnly";
import { Button } from "@/components/ui/Button";
import { Section } from "@/components/ui/Feedback";

const LIMIT = 50;

export default function InstanceActivityPage() {
  return (
    <AdminOnly>
      <InstanceActivity />
    </AdminOnly>
  );
}

function InstanceActivity() {
  const [filters, setFilters] = useState<ActivityFilterValues>({ userId: "", action: "" });
  const [offset, setOffset] = useState(0);
  const activity = useInstanceActivity({ ...filters, offset, limit: LIMIT });
  const users = useUsers();
  // The names of the projects the admin is a member of; others show their id.
  const projects = useProjects(0, 100);
  const people = (users.data ?? []).map((u) => ({ id: u.id, name: `${u.displayName} (${u.email})` }));
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Instance activity</h1>
      <Section
        id="instance-activity"
        title="Everything that happened"
        description="Sign-ins, accounts, tokens and every change in every project, newest first."
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
          names={new Map((users.data ?? []).map((u) => [u.id, u.displayName]))}
          projectNames={new Map((projects.data?.items ?? []).map((p) => [p.id, p.name]))}
          showProject
          filtered={Boolean(filters.userId || filters.action)}
        />
      </Section>
    </div>
  );
}
