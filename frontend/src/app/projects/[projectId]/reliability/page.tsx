"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { useMe } from "@/api/hooks/auth";
import { useJobs } from "@/api/hooks/jobs";
import { useProjectPermissions } from "@/api/hooks/projects";
import { codingsCsvUrl, useStudies, useStudyAction, type Study } from "@/api/hooks/studies";
import { CreateStudyForm } from "@/components/studies/CreateStudyForm";
import { ReliabilityTable } from "@/components/studies/ReliabilityTable";
import { Button, Spinner } from "@/components/ui/Button";
import { EmptyState, ProblemAlert, Section } from "@/components/ui/Feedback";
import { SelectField } from "@/components/ui/Field";
import { formatDateTime, humanise, plural } from "@/lib/format";
import { latestJob } from "@/lib/jobs";

export default function ReliabilityPage() {
  const { projectId } = useParams<{ projectId: string }>();
  const jobs = useJobs(projectId);
  const complete = (jobs.data?.items ?? []).filter((j) => j.status === "COMPLETE" && j.jobType !== "EVALUATION");
  const fallback = latestJob(complete, "SAMPLE") ?? latestJob(complete, "FULL");
  const [chosen, setChosen] = useState("");
  const job = complete.find((j) => j.id === chosen) ?? fallback;
  const { canEdit } = useProjectPermissions(projectId);

  if (jobs.isPending) return <Spinner label="Loading jobs…" />;
  if (!job) {
    return (
      <div className="space-y-3">
        <ProblemAlert error={jobs.error} action="Loading jobs" />
        <EmptyState title="No finished job yet">A reliability study samples the units of a finished sample or full run.</EmptyState>
      </div>
    );
  }
  return (
    <div className="space-y-6">
      <SelectField
        label="Studies of"
        wrapperClassName="max-w-md"
        value={job.id}
        onChange={(e) => setChosen(e.target.value)}
        options={complete.map((j) => ({ value: j.id, label: `${humanise(j.jobType)} run of ${formatDateTime(j.createdAt)} (${plural(j.totalItems, "document")})` }))}
      />
      <Section id="studies" title="Reliability studies" description="Two or more people code the same units independently; alpha says how far they agree.">
        <StudyList projectId={projectId} jobId={job.id} canEdit={canEdit} />
      </Section>
      <Section id="reliability" title="Inter-coder reliability">
        <ReliabilityTable jobId={job.id} />
      </Section>
      {canEdit && (
        <Section id="new-study" title="Open a study">
          <CreateStudyForm projectId={projectId} jobId={job.id} unitsAvailable={job.totalItems} />
        </Section>
      )}
    </div>
  );
}

function StudyList({ projectId, jobId, canEdit }: { projectId: string; jobId: string; canEdit: boolean }) {
  const studies = useStudies(jobId);
  const me = useMe();
  const action = useStudyAction(jobId);
  if (studies.isPending) return <Spinner label="Loading studies…" />;
  if (studies.error) return <ProblemAlert error={studies.error} action="Loading studies" />;
  if (!studies.data?.length) return <p className="text-sm text-slate-600">No study on this run yet.</p>;
  return (
    <div className="space-y-3">
      <ProblemAlert error={action.error} action="Changing the study" />
      <ul className="space-y-3">
        {studies.data.map((study) => (
          <StudyItem
            key={study.id}
            study={study}
            projectId={projectId}
            canEdit={canEdit}
            myId={me.data?.id}
            busy={action.isPending}
            onAction={(kind) => action.mutate({ studyId: study.id, action: kind })}
          />
        ))}
      </ul>
    </div>
  );
}

function StudyItem({
  study,
  projectId,
  canEdit,
  myId,
  busy,
  onAction,
}: {
  study: Study;
  projectId: string;
  canEdit: boolean;
  myId: string | undefined;
  busy: boolean;
  onAction: (kind: "close" | "unblind") => void;
}) {
  const open = study.status === "OPEN";
  const blind = study.mode === "BLIND" && open && !study.unblinded;
  const iCode = study.coders.some((c) => c.userId === myId);
  const base = `/projects/${projectId}/reliability/${study.id}`;
  return (
    <li className="rounded-md border border-slate-200 p-3" data-testid="study">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm font-medium">
          {humanise(study.mode)} study of {study.unitCount} units · {open ? "open" : "closed"}
          {study.unblinded && open ? " · unblinded" : ""} · seed {study.seed}
        </p>
        <div className="flex flex-wrap gap-2">
          {iCode && open && (
            <Link className="rounded-md bg-indigo-600 px-3 py-1 text-sm font-medium text-white hover:bg-indigo-700" href={`${base}/code`}>
              Code my units
            </Link>
          )}
          {canEdit && !(blind && iCode) && (
            <>
              <Link className="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50" href={`${base}/adjudicate`}>
                Disagreements
              </Link>
              <a className="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-50" href={codingsCsvUrl(study.id)}>
                Coders&apos; values (CSV)
              </a>
            </>
          )}
          {canEdit && blind && (
            <Button size="sm" disabled={busy} onClick={() => onAction("unblind")}>Unblind</Button>
          )}
          {canEdit && open && (
            <Button size="sm" variant="danger" disabled={busy} onClick={() => onAction("close")}>Close</Button>
          )}
        </div>
      </div>
      <ul className="mt-2 flex flex-wrap gap-x-6 gap-y-1 text-sm text-slate-700">
        {study.coders.map((c) => (
          <li key={c.userId}>
            {c.displayName || c.email}: <span className="tabular-nums">{c.progress}</span>
          </li>
        ))}
      </ul>
    </li>
  );
}
