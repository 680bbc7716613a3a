/** The job every example of the document shows: a finished one, with its picture, usage and webhook. */

export const exampleJobId = '0b6d2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f';
export const exampleJob = {
  id: exampleJobId,
  status: 'Succeeded',
  createdDateTime: '2026-11-25T08:00:00.000Z',
  lastUpdatedDateTime: '2026-11-25T08:00:09.000Z',
  model: 'gpt-image-2',
  request: { prompt: 'A dog beside the Eiffel Tower in morning light', n: 1, orientation: 'landscape', aspectRatio: '16:9', size: '1536x864', outputFormat: 'png', user: 'student-42', metadata: { classId: '4B', assignmentId: 'monuments' } },
  statusUrl: `https://edu4all.example/api/jobs/${exampleJobId}?token=1795…`,
  statusUrlExpiresOn: '2026-11-26T08:00:09.000Z',
  result: { images: [{ url: `https://st.blob.core.windows.net/images/${exampleJobId}/0.png?sv=…&sp=r&sig=…`, expiresOn: '2026-11-25T09:00:09.000Z', width: 1536, height: 864, contentType: 'image/png' }] },
  usage: { textInputTokens: 98, imageInputTokens: 0, outputTokens: 1332, estimatedCostUsd: 0.04 },
  webhooks: [{ id: 'msg_0b6d2c9e4f1a4c3b9d2e7a8b9c0d1e2f_job_succeeded', type: 'job.succeeded', state: 'Delivered', attemptCount: 1, attempts: [{ at: '2026-11-25T08:00:09.100Z', statusCode: 204, durationMs: 84 }] }],
};
